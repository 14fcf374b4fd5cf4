# Third-party libraries, all from Debian packages. Shared between the build and kafkioConfig.cmake.
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(KAFKIO_ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(KAFKIO_LZ4 REQUIRED IMPORTED_TARGET liblz4)
# Debian's libsnappy-dev ships a CMake package but no pkg-config file.
find_package(Snappy CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)   # libssl: TLS (security.protocol SSL, SASL_SSL); libcrypto: SCRAM (HMAC, PBKDF2)
find_package(Boost 1.81 REQUIRED)  # header-only parts: Asio, Beast
