function(trawl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(TRAWL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# trawl_module(name SOURCES ... DEPS ...): one library target per src/ folder.
function(trawl_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(trawl_${name} STATIC ${M_SOURCES})
  target_include_directories(trawl_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(trawl_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  trawl_warnings(trawl_${name})
endfunction()
