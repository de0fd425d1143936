# CSIM_ALLOCATOR: the malloc the executables that time or run worlds (the CLI, bench/) link.
# A world of 20000 customers allocates and frees millions of small nodes; with glibc's malloc a
# quarter of its cache misses were the allocator's own (docs/speed.md, branch speed7). Each choice
# is a Debian package that replaces malloc and operator new for the whole process when linked:
#   jemalloc  libjemalloc-dev (jemalloc 5.3)
#   mimalloc  libmimalloc-dev (mimalloc 2.0)
#   tcmalloc  libgoogle-perftools-dev (gperftools' tcmalloc_minimal)
#   system    glibc's malloc (what the sanitizer presets must use: they bring their own)
# Results never depend on the allocator: nothing in a simulation reads a pointer's value.
set(CSIM_ALLOCATOR "tcmalloc" CACHE STRING "malloc for checkout-sim and bench/: tcmalloc, jemalloc, mimalloc or system")
set_property(CACHE CSIM_ALLOCATOR PROPERTY STRINGS tcmalloc jemalloc mimalloc system)

set(_csim_allocator_libraries jemalloc=jemalloc mimalloc=mimalloc tcmalloc=tcmalloc_minimal)
set(_csim_allocator_packages
    jemalloc=libjemalloc-dev mimalloc=libmimalloc-dev tcmalloc=libgoogle-perftools-dev)

if(CSIM_ALLOCATOR STREQUAL "system")
  set(CSIM_ALLOCATOR_LIBRARY "")
  message(STATUS "checkout-sim allocator: system (glibc malloc)")
elseif(CSIM_ALLOCATOR MATCHES "^(jemalloc|mimalloc|tcmalloc)$")
  # A sanitizer interposes malloc itself; a second replacement would hide its reports or crash.
  if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=")
    message(FATAL_ERROR "CSIM_ALLOCATOR=${CSIM_ALLOCATOR} with sanitizers in CMAKE_CXX_FLAGS: "
                        "configure with -DCSIM_ALLOCATOR=system (the asan preset does)")
  endif()
  list(FILTER _csim_allocator_libraries INCLUDE REGEX "^${CSIM_ALLOCATOR}=")
  list(FILTER _csim_allocator_packages INCLUDE REGEX "^${CSIM_ALLOCATOR}=")
  string(REGEX REPLACE "^[a-z]+=" "" _csim_allocator_name "${_csim_allocator_libraries}")
  string(REGEX REPLACE "^[a-z]+=" "" _csim_allocator_package "${_csim_allocator_packages}")
  find_library(CSIM_ALLOCATOR_LIBRARY_${CSIM_ALLOCATOR} NAMES ${_csim_allocator_name})
  if(NOT CSIM_ALLOCATOR_LIBRARY_${CSIM_ALLOCATOR})
    message(FATAL_ERROR
      "CSIM_ALLOCATOR=${CSIM_ALLOCATOR}: lib${_csim_allocator_name}.so not found. Install the Debian "
      "package ${_csim_allocator_package} (scripts/bootstrap.sh does), or configure with "
      "-DCSIM_ALLOCATOR=system for glibc's malloc.")
  endif()
  set(CSIM_ALLOCATOR_LIBRARY "${CSIM_ALLOCATOR_LIBRARY_${CSIM_ALLOCATOR}}")
  message(STATUS "checkout-sim allocator: ${CSIM_ALLOCATOR} (${CSIM_ALLOCATOR_LIBRARY})")
else()
  message(FATAL_ERROR "CSIM_ALLOCATOR=${CSIM_ALLOCATOR}: expected jemalloc, mimalloc, tcmalloc or system")
endif()

# csim_use_allocator(TARGET): links TARGET against the chosen malloc. --no-as-needed keeps the
# library even though the executable names none of its symbols (it is there to interpose malloc).
function(csim_use_allocator target)
  if(CSIM_ALLOCATOR_LIBRARY)
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed"
                                            "${CSIM_ALLOCATOR_LIBRARY}" "-Wl,--pop-state")
    target_compile_definitions(${target} PRIVATE CSIM_ALLOCATOR_${CSIM_ALLOCATOR}=1)
  endif()
  # tcmalloc's heap on transparent huge pages (cli/tcmalloc_huge_pages.cc says why).
  if(CSIM_ALLOCATOR STREQUAL "tcmalloc")
    target_sources(${target} PRIVATE "${PROJECT_SOURCE_DIR}/cli/tcmalloc_huge_pages.cc")
  endif()
endfunction()
