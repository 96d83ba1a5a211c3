// Compiled only to build the unit tests' precompiled header (tests/unit/CMakeLists.txt).
