# Run by ctest: cmake -DBUILD_DIR=… -DSOURCE_DIR=… -DWORK_DIR=… -DGENERATOR=… -P check_package.cmake
function(run)
  cmake_parse_arguments(ARG "" "EXPECT;OUTPUT" "COMMAND" ${ARGN})
  execute_process(COMMAND ${ARG_COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT DEFINED ARG_EXPECT)
    set(ARG_EXPECT 0)
  endif()
  if(NOT code STREQUAL ARG_EXPECT)
    message(FATAL_ERROR "${ARG_COMMAND}\nexited with ${code}, expected ${ARG_EXPECT}\n${out}\n${err}")
  endif()
  if(ARG_OUTPUT)
    set(${ARG_OUTPUT} "${out}" PARENT_SCOPE)
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

# Desktop integration files pass the validators.
run(COMMAND appstreamcli validate --no-net ${SOURCE_DIR}/packaging/io.traindx.TrainDx.metainfo.xml)
run(COMMAND desktop-file-validate ${SOURCE_DIR}/packaging/io.traindx.TrainDx.desktop)

# The Debian package: what it holds and what it depends on.
run(COMMAND cpack -G DEB -B ${WORK_DIR}/deb --config ${BUILD_DIR}/CPackConfig.cmake)
file(GLOB debs ${WORK_DIR}/deb/traindx_*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one .deb in ${WORK_DIR}/deb, found: ${debs}")
endif()
run(COMMAND dpkg-deb -c ${debs} OUTPUT contents)
foreach(expected
    ./usr/bin/traindx ./usr/bin/traindx-cli
    ./usr/include/traindx/probe.h
    ./usr/lib/x86_64-linux-gnu/cmake/TrainDx/TrainDxConfig.cmake
    ./usr/lib/x86_64-linux-gnu/cmake/TrainDx/TrainDxConfigVersion.cmake
    ./usr/share/applications/io.traindx.TrainDx.desktop
    ./usr/share/metainfo/io.traindx.TrainDx.metainfo.xml
    ./usr/share/icons/hicolor/scalable/apps/io.traindx.TrainDx.svg
    ./usr/share/icons/hicolor/48x48/apps/io.traindx.TrainDx.png
    ./usr/share/icons/hicolor/256x256/apps/io.traindx.TrainDx.png)
  string(FIND "${contents}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the package lacks ${expected}:\n${contents}")
  endif()
endforeach()
string(REGEX MATCH "libtraindx_probe\\.so[^\n]*" probe_lib "${contents}")
if(NOT probe_lib)
  message(FATAL_ERROR "the package lacks the probe library:\n${contents}")
endif()
run(COMMAND dpkg-deb -f ${debs} Depends OUTPUT depends)
foreach(expected libtorch libqt6widgets6 libprotobuf qt6-qpa-plugins libqt6sql6-sqlite)
  string(FIND "${depends}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "Depends lacks ${expected}: ${depends}")
  endif()
endforeach()

# A user's own training project, built against an installed TrainDx.
run(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/packaging/example-project -B ${WORK_DIR}/project -G ${GENERATOR}
            -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/project)

# Fashion-MNIST, unpacked where the example trainer keeps it, stands in for MNIST.
set(ENV{TRAINDX_DATA_DIR} ${WORK_DIR}/data)
run(COMMAND ${BUILD_DIR}/bin/traindx-fashion-mnist --epochs 0)
run(COMMAND ${prefix}/bin/traindx-cli run --json ${WORK_DIR}/train.json -- ${WORK_DIR}/project/train ${WORK_DIR}/data 2 150
    OUTPUT cli_output)
file(READ ${WORK_DIR}/train.json report)
string(JSON verdict GET "${report}" verdict)
string(JSON epochs GET "${report}" epochs_run)
if(NOT verdict STREQUAL "healthy" OR NOT epochs EQUAL 2)
  message(FATAL_ERROR "the user's trainer was not debugged as expected: verdict ${verdict}, ${epochs} epochs\n${cli_output}")
endif()
message(STATUS "package, CMake package and a user's project under traindx-cli: all as expected")
