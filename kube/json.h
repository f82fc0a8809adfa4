// The JSON document type Kubernetes objects travel as: cpprestsdk's json::value. One alias
// in one small header, so code that handles objects without talking to the API server does
// not pull in the client interface. Thread-safety: a value is safe to read from several
// threads; not to write.
#pragma once

#include <cpprest/json.h>

namespace kcau::kube {

using Json = web::json::value;

}  // namespace kcau::kube
