# The artifacts users install, built into build/dist/ by the `dist` target
# (part of the default build, so the tests that install them find them;
# scripts/package.sh builds just these):
#   ecssd_<version>_amd64.deb               deploy/debian/build_deb.py
#   ecssd-<version>-linux-x86_64.tar.gz     deploy/tarball/build_tarball.py
#   ecssd-image-<version>.tar               deploy/image/build_image.py (docker load -i)
#   ecssd-lambda-<version>.zip              the Lambda zip (deploy/CMakeLists.txt)
# and, beside them, build/man/: ecssd.1 and the commented ecssd.env and
# reap.env, generated from the binary's --help (deploy/man/ecssd_man.py).

find_program(PYTHON3 python3 REQUIRED)

# Full RELRO for the shipped binary (lintian: hardening-no-bindnow); a link
# option only, so nothing recompiles.
target_link_options(ecssd PRIVATE -Wl,-z,relro -Wl,-z,now)

set(ECSSD_DIST_DIR ${CMAKE_BINARY_DIR}/dist)
set(ECSSD_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(ECSSD_DEPLOY ${PROJECT_SOURCE_DIR}/deploy)
set(ECSSD_BUNDLE_PY ${ECSSD_DEPLOY}/bundle.py)

add_custom_command(
  OUTPUT ${ECSSD_MAN_DIR}/ecssd.1 ${ECSSD_MAN_DIR}/ecssd.env ${ECSSD_MAN_DIR}/reap.env
  COMMAND ${PYTHON3} ${ECSSD_DEPLOY}/man/ecssd_man.py --binary $<TARGET_FILE:ecssd>
          --man ${ECSSD_MAN_DIR}/ecssd.1 --agent-env ${ECSSD_MAN_DIR}/ecssd.env --reap-env ${ECSSD_MAN_DIR}/reap.env
  DEPENDS ecssd ${ECSSD_DEPLOY}/man/ecssd_man.py
  COMMENT "Generating ecssd(1) and the commented configuration files from --help"
  VERBATIM)
add_custom_target(manpage DEPENDS ${ECSSD_MAN_DIR}/ecssd.1)

set(ECSSD_MAN_OUTPUTS ${ECSSD_MAN_DIR}/ecssd.1 ${ECSSD_MAN_DIR}/ecssd.env ${ECSSD_MAN_DIR}/reap.env)
set(ECSSD_SHARED_FILES
  ${ECSSD_DEPLOY}/systemd/ecssd-agent.service ${ECSSD_DEPLOY}/systemd/ecssd-reap.service
  ${ECSSD_DEPLOY}/systemd/ecssd-reap.timer ${ECSSD_DEPLOY}/iam/agent-policy.json
  ${ECSSD_DEPLOY}/iam/reaper-policy.json ${ECSSD_DEPLOY}/cloudformation/ecssd.yaml)

set(ECSSD_DEB ${ECSSD_DIST_DIR}/ecssd_${PROJECT_VERSION}_amd64.deb)
add_custom_command(
  OUTPUT ${ECSSD_DEB}
  COMMAND ${PYTHON3} ${ECSSD_DEPLOY}/debian/build_deb.py --binary $<TARGET_FILE:ecssd>
          --version ${PROJECT_VERSION} --source-dir ${PROJECT_SOURCE_DIR} --man-dir ${ECSSD_MAN_DIR}
          --output-dir ${ECSSD_DIST_DIR}
  DEPENDS ecssd ${ECSSD_MAN_OUTPUTS} ${ECSSD_SHARED_FILES} ${ECSSD_BUNDLE_PY}
          ${ECSSD_DEPLOY}/debian/build_deb.py ${ECSSD_DEPLOY}/debian/changelog ${ECSSD_DEPLOY}/debian/copyright
  COMMENT "Building the Debian package"
  VERBATIM)

set(ECSSD_TARBALL ${ECSSD_DIST_DIR}/ecssd-${PROJECT_VERSION}-linux-x86_64.tar.gz)
add_custom_command(
  OUTPUT ${ECSSD_TARBALL}
  COMMAND ${PYTHON3} ${ECSSD_DEPLOY}/tarball/build_tarball.py --binary $<TARGET_FILE:ecssd>
          --version ${PROJECT_VERSION} --source-dir ${PROJECT_SOURCE_DIR} --man-dir ${ECSSD_MAN_DIR}
          --output ${ECSSD_TARBALL}
  DEPENDS ecssd ${ECSSD_MAN_OUTPUTS} ${ECSSD_SHARED_FILES} ${ECSSD_BUNDLE_PY}
          ${ECSSD_DEPLOY}/tarball/build_tarball.py ${ECSSD_DEPLOY}/tarball/install.sh
  COMMENT "Building the linux-x86_64 tarball"
  VERBATIM)

set(ECSSD_IMAGE ${ECSSD_DIST_DIR}/ecssd-image-${PROJECT_VERSION}.tar)
add_custom_command(
  OUTPUT ${ECSSD_IMAGE}
  COMMAND ${PYTHON3} ${ECSSD_DEPLOY}/image/build_image.py --tarball ${ECSSD_TARBALL}
          --version ${PROJECT_VERSION} --output ${ECSSD_IMAGE}
  DEPENDS ${ECSSD_TARBALL} ${ECSSD_DEPLOY}/image/build_image.py
  COMMENT "Building the container image"
  VERBATIM)

# The Lambda zip as deploy/CMakeLists.txt builds it, under a versioned name
# (a new S3 key is what makes CloudFormation update the function's code).
set(ECSSD_DIST_LAMBDA_ZIP ${ECSSD_DIST_DIR}/ecssd-lambda-${PROJECT_VERSION}.zip)
add_custom_command(
  OUTPUT ${ECSSD_DIST_LAMBDA_ZIP}
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_BINARY_DIR}/ecssd-lambda.zip ${ECSSD_DIST_LAMBDA_ZIP}
  DEPENDS lambda_zip ${CMAKE_BINARY_DIR}/ecssd-lambda.zip
  VERBATIM)

add_custom_target(dist ALL DEPENDS ${ECSSD_DEB} ${ECSSD_TARBALL} ${ECSSD_IMAGE} ${ECSSD_DIST_LAMBDA_ZIP})
