include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS kafkio_protocol kafkio kafkio_compiled EXPORT kafkioTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/protocol/include/ ${PROJECT_SOURCE_DIR}/client/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT kafkioTargets NAMESPACE kafkio:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kafkio)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/kafkioConfig.cmake.in
  ${PROJECT_BINARY_DIR}/kafkioConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kafkio)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kafkioConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/kafkioConfig.cmake ${PROJECT_BINARY_DIR}/kafkioConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/kafkioDependencies.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kafkio)
