# kcau-sim's HTTP front door, simulated nodes, and the binary.

# The UpdateRun CRD users apply is the one the simulator validates against.
set(KCAU_CRD_FILE ${CMAKE_SOURCE_DIR}/crd/updaterun-crd.yaml)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${KCAU_CRD_FILE})
file(READ ${KCAU_CRD_FILE} KCAU_UPDATERUN_CRD_YAML)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/embedded_crd.cc.in
               ${CMAKE_CURRENT_BINARY_DIR}/embedded_crd.cc @ONLY)
add_library(kcau_sim_server ${CMAKE_CURRENT_SOURCE_DIR}/api_server.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/scenario.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/api_tables.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/response_form.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/audit_log.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/certificates.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/server_identity.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/schema_validator.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/crd_validation.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/kube_protobuf.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/openapi_v2.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/event_table.cc
                            ${CMAKE_CURRENT_BINARY_DIR}/embedded_crd.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/node_simulator.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/kubeconfig_file.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/agent_root.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/real_agents.cc)
target_link_libraries(kcau_sim_server PUBLIC kcau_sim_store kcau_crd kcau_agent_protocol
                                             kcau_request_signature kcau_agent_host
                                             spdlog::spdlog
                                             cpprestsdk::cpprest OpenSSL::SSL OpenSSL::Crypto)
add_executable(kcau-sim ${CMAKE_CURRENT_SOURCE_DIR}/main.cc)
target_link_libraries(kcau-sim kcau_sim_server)
