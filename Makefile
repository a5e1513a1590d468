# IOMMU live update: the kernel series, its build and its tests.
# `make help` lists the targets.  Everything lands in build/ (not in git).

SHELL := /bin/bash
TOP   := $(CURDIR)
B     := $(TOP)/build
IOMMU ?= legacy
PROG  ?=

export TOP

.PHONY: help setup tree export kernel progs vmtest kunit checkpatch check demo bench clean

help:
	@echo "make setup       install what the project needs (apt; idempotent)"
	@echo "make tree        build/linux: Debian linux-source-7.3 + patches/ (git am)"
	@echo "make export      build/linux commits since the base tag -> patches/"
	@echo "make kernel      configure (tinyconfig + config/vm.config) and build bzImage"
	@echo "make progs       VM init and the static selftest programs"
	@echo "make vmtest PROG=static-binary [IOMMU=legacy|sm|sm-fl] [STAGES=n] [EDU=n] [KVM=1]"
	@echo "make kunit       generic_pt KUnit suites under UML"
	@echo "make checkpatch  checkpatch --strict over patches/"
	@echo "make check       everything above, ends with 'N passed, N failed'"
	@echo "make demo        the main job in a VM (see README)"
	@echo "make bench       benchmarks (numbers, no assertions)"

setup:
	@scripts/setup.sh

tree: setup
	@scripts/tree.sh

export:
	@scripts/export.sh

kernel: tree
	@scripts/kernel.sh

progs: kernel
	@scripts/progs.sh

# STAGES, EDU, KVM and vmtest.sh's other settings reach it through the
# environment (make exports variables set on its command line).
vmtest: progs
	@scripts/vmtest.sh "$(PROG)" "$(IOMMU)"

kunit: tree
	@scripts/kunit.sh

checkpatch: tree
	@scripts/checkpatch.sh

check: setup
	@scripts/check.sh

demo: progs
	@scripts/demo.sh

bench: progs
	@scripts/bench.sh

clean:
	rm -rf $(B)/obj $(B)/kunit $(B)/kunit-bench $(B)/tests $(B)/vmtest $(B)/check \
		$(B)/init $(B)/headers $(B)/hdr-obj $(B)/*.log
