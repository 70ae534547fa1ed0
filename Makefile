# The two commands: `make run` and `make check`.  Both install what is
# missing (Debian 12, apt-get), build, and then run the daemons or the tests.

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz

# Needed to build and run the daemons.
RUN_DEPS = meson ninja-build pkg-config gcc libc6-dev rpcsvc-proto \
	libsystemd-dev libtirpc-dev libxml2-dev libjson-c-dev \
	qemu-system-x86 qemu-utils libvirt-clients systemd
# Needed by the tests: stock clients, the real libvirtd to compare with,
# schemas, sanitizer and fuzzer runtimes, socket activation.  (The test
# guest's kernel and busybox are downloaded, not installed: tests/guest.)
CHECK_DEPS = $(RUN_DEPS) python3 python3-libvirt libvirt-daemon libvirt-daemon-driver-qemu \
	libvirt-dev libxml2-utils systemd clang libclang-rt-14-dev iproute2 util-linux \
	procps gnutls-bin dnsmasq-base virtinst qemu-system-gui ovmf qemu-block-extra \
	swtpm swtpm-tools

.PHONY: all deps-run deps-check users build build-asan run stop check unit unit-asan \
	integration fuzz bench clean guest-image

all: build

define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps-run:
	$(call install_missing,$(RUN_DEPS))

deps-check:
	$(call install_missing,$(CHECK_DEPS))

# The daemons' users and groups, from the project's sysusers.d file (what
# the package would do on install).
users:
	systemd-sysusers $(CURDIR)/systemd/sysusers.d/modvirt.conf

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=true -Dbuildtype=debug

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# Start the daemons in the background on this host's standard sockets, so
# that `virsh -c qemu:///system ...` works at once (virtqemud's own socket),
# and so does every URI through virtproxyd (libvirt-sock).  Instances we
# started before (their pid files) are replaced.
DAEMONS = virtqemud virtproxyd
# Integration test modules that speak to the daemons as clients (the
# others test a daemon's process: options, config, sockets, signals).
PROXY_TESTS = test_clients test_domains test_protocol test_events test_limits test_host test_errors

run: deps-run users build
	@$(MAKE) --no-print-directory stop
	$(BUILD)/virtqemud/virtqemud --daemon --pid-file /run/virtqemud.pid
	$(BUILD)/virtproxyd/virtproxyd --daemon --pid-file /run/virtproxyd.pid
	@echo "virtqemud (pid $$(cat /run/virtqemud.pid)) and virtproxyd (pid $$(cat /run/virtproxyd.pid)) are running;"
	@echo "try: virsh -c qemu:///system version"

stop:
	@for d in $(DAEMONS); do \
	  pid=$$(cat /run/$$d.pid 2>/dev/null); \
	  [ -n "$$pid" ] && kill $$pid 2>/dev/null || continue; \
	  for i in $$(seq 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	done
	@# virtproxyd, unprivileged by then, cannot remove its sockets from
	@# root's /run/libvirt (under systemd its units' RemoveOnStop does).
	@rm -f /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro /run/libvirt/libvirt-admin-sock

# The bootable test guest (tests/guest): downloaded and built once, before
# the sandboxes (which may lack the network, or the resolver's /run), into
# the cache the tests and benchmarks read it from (MODVIRT_GUEST_DIR).
export MODVIRT_GUEST_DIR ?= /var/cache/modvirt-test-guest/image
guest-image:
	tests/guest/build-guest.sh $(MODVIRT_GUEST_DIR) >/dev/null

check: deps-check users build build-asan guest-image
	meson test -C $(BUILD) --suite unit --print-errorlogs
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs
	tests/integration/run.sh $(ASAN_BUILD)
	tests/integration/run.sh $(BUILD)
	# The same client-facing tests again, every client through virtproxyd.
	MODVIRT_VIA_PROXY=1 tests/integration/run.sh $(ASAN_BUILD) $(PROXY_TESTS)
	MODVIRT_VIA_PROXY=1 MODVIRT_PROXY_HANDOFF=0 tests/integration/run.sh $(BUILD) $(PROXY_TESTS)
	$(MAKE) fuzz
	tests/bench/run-bench.sh --quick --build $(BUILD) --json $(BUILD)/bench-quick.json $(BUILD)/virtqemud/virtqemud
	tests/bench/run-domain-bench.sh --quick --storage tmpfs --build $(BUILD) --json $(BUILD)/domain-bench-quick.json $(BUILD)/virtqemud/virtqemud
	tests/bench/run-guest-bench.sh --quick --build $(BUILD) --json $(BUILD)/guest-bench-quick.json $(BUILD)/virtqemud/virtqemud

# Short fuzzing runs from the seed corpora: a smoke test that each target
# still builds and survives; long campaigns are run by hand.
fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) tests/fuzz/fuzz_packet tests/fuzz/fuzz_conf_file tests/fuzz/fuzz_domain_conf \
	  tests/fuzz/fuzz_journal tests/fuzz/fuzz_relay tests/fuzz/fuzz_qemu_cpu
	tests/fuzz/run.sh $(FUZZ_BUILD) 30

bench: deps-check users build guest-image
	tests/bench/run-bench.sh --build $(BUILD) --json $(BUILD)/bench.json $(BUILD)/virtqemud/virtqemud
	tests/bench/run-domain-bench.sh --build $(BUILD) --json $(BUILD)/domain-bench.json $(BUILD)/virtqemud/virtqemud
	tests/bench/run-guest-bench.sh --build $(BUILD) --json $(BUILD)/guest-bench.json $(BUILD)/virtqemud/virtqemud

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
