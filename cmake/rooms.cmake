# The rooms of src/ (docs/DESIGN.md): each folder is one static library that
# links only the rooms it may use, so the arrows of the design are stated once,
# in each room's ecssd_room(... USES ...), and checked twice:
# tests/arch/check_includes.py (under ctest) refuses an #include of a room
# that is not used, and a room's unit tests link only that room and what it
# uses (tests/unit/CMakeLists.txt), so a call into a room that is not used
# fails to link them.
#
#   ecssd_room(<name> [PROVIDER] USES <room>... SOURCES <file>... [LIBS <target>...])
#
# in src/<folder>/CMakeLists.txt makes the library ecssd_<name> of that folder.
# USES lists rooms by name (what they use comes with them); LIBS third-party
# targets beyond the shared ones of ecssd_base. PROVIDER marks a provider's
# room: the provider table links every such room, so a new provider is its own
# folder and one line of src/provider/table/table.cc.

# What every room shares: the include root, the definitions, the warnings and
# the third-party libraries most rooms need. One set of compile settings for
# all rooms is what lets them share one precompiled header.
add_library(ecssd_base INTERFACE)
target_include_directories(ecssd_base INTERFACE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(ecssd_base INTERFACE
  # Asio and Beast are compiled once (common/asio_impl.cc) instead of in every
  # translation unit: this halves build time on a 2-core CI machine.
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE
  SPDLOG_FMT_EXTERNAL
  ECSSD_VERSION="${PROJECT_VERSION}")
target_link_libraries(ecssd_base INTERFACE
  Boost::headers Boost::json Boost::url
  OpenSSL::SSL OpenSSL::Crypto
  pugixml::pugixml
  spdlog::spdlog
  CLI11::CLI11
  PkgConfig::LIBKNOT
  Threads::Threads)

set_property(GLOBAL PROPERTY ECSSD_ROOMS "")
set_property(GLOBAL PROPERTY ECSSD_PROVIDER_ROOMS "")

function(ecssd_room name)
  cmake_parse_arguments(R "PROVIDER" "" "USES;SOURCES;LIBS" ${ARGN})
  set(target ecssd_${name})
  if(R_SOURCES)
    add_library(${target} STATIC ${R_SOURCES})
    set(scope PUBLIC)
    ecssd_warnings(${target})
    # The first room (common) makes the precompiled header; the others reuse
    # it (same settings), which keeps the per-room split as fast to build as
    # the one library it replaced.
    if(TARGET ecssd_common AND NOT name STREQUAL "common")
      target_precompile_headers(${target} REUSE_FROM ecssd_common)
    else()
      target_precompile_headers(${target} PRIVATE
        <boost/asio.hpp> <boost/beast/core.hpp> <boost/beast/http.hpp> <boost/json.hpp> <spdlog/spdlog.h>
        <string> <vector> <map> <memory> <optional> <functional>)
    endif()
  else()
    add_library(${target} INTERFACE)  # headers only
    set(scope INTERFACE)
  endif()
  target_link_libraries(${target} ${scope} ecssd_base ${R_LIBS})
  # Rooms may be defined in any order: a used room's target is resolved when
  # the build is generated (ecssd_write_rooms checks that each one exists).
  foreach(dep IN LISTS R_USES)
    target_link_libraries(${target} ${scope} ecssd_${dep})
  endforeach()

  file(RELATIVE_PATH dir ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set_property(GLOBAL APPEND PROPERTY ECSSD_ROOMS ${name})
  set_property(GLOBAL PROPERTY ECSSD_ROOM_${name}_DIR "${dir}")
  set_property(GLOBAL PROPERTY ECSSD_ROOM_${name}_USES "${R_USES}")
  if(R_PROVIDER)
    set_property(GLOBAL APPEND PROPERTY ECSSD_PROVIDER_ROOMS ${name})
  endif()
endfunction()

# Writes the rooms, their folders and what each uses to `file` (JSON), for
# tests/arch/check_includes.py. `extra` names single files outside any room's
# folder and the room they form (src/main.cc: the executable).
function(ecssd_write_rooms file)
  get_property(rooms GLOBAL PROPERTY ECSSD_ROOMS)
  set(json "{\n  \"rooms\": {\n")
  set(first TRUE)
  foreach(name IN LISTS rooms)
    get_property(dir GLOBAL PROPERTY ECSSD_ROOM_${name}_DIR)
    get_property(uses GLOBAL PROPERTY ECSSD_ROOM_${name}_USES)
    set(list "")
    foreach(u IN LISTS uses)
      if(NOT u IN_LIST rooms)
        message(FATAL_ERROR "room ${name} uses ${u}, which is not a room")
      endif()
      if(list)
        string(APPEND list ", ")
      endif()
      string(APPEND list "\"${u}\"")
    endforeach()
    if(NOT first)
      string(APPEND json ",\n")
    endif()
    set(first FALSE)
    string(APPEND json "    \"${name}\": {\"dirs\": [\"${dir}\"], \"uses\": [${list}]}")
  endforeach()
  string(APPEND json ",\n    \"main\": {\"dirs\": [], \"files\": [\"main.cc\"], \"uses\": [\"cli\"]}\n  }\n}\n")
  file(WRITE ${file} "${json}")
endfunction()
