# kcau-sim's HTTP front door, simulated nodes, and the binary.
add_library(kcau_sim_server ${CMAKE_CURRENT_SOURCE_DIR}/api_server.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/api_tables.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/certificates.cc
                            ${CMAKE_CURRENT_SOURCE_DIR}/node_simulator.cc)
target_link_libraries(kcau_sim_server PUBLIC kcau_sim_store kcau_agent_protocol spdlog::spdlog
                                             cpprestsdk::cpprest OpenSSL::SSL OpenSSL::Crypto)
add_executable(kcau-sim ${CMAKE_CURRENT_SOURCE_DIR}/main.cc)
target_link_libraries(kcau-sim kcau_sim_server)
