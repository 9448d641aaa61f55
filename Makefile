# shopcast: a thin layer over meson + ninja. `make run` and `make test` install
# what is missing first (tools/install-deps.sh), so a fresh Debian 12 machine
# needs nothing else.

BUILD     ?= build
SAN_BUILD ?= build-san
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
BOARD     ?= sim
DURATION  ?= 3600

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all deps run test bench bench-failover fault-matrix bench-abr bench-flash fuzz soak valgrind image bundle test-system format check-format clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

# The same tree built with AddressSanitizer and UndefinedBehaviorSanitizer.
$(SAN_BUILD)/build.ninja:
	meson setup $(SAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

# The fuzz targets as libFuzzer fuzzers: clang, ASan and UBSan (make fuzz).
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

deps:
	./tools/install-deps.sh

# The box in demo mode on the simulated board, streaming to a local ingest.
run: deps
	$(MAKE) all
	./tools/run-demo.sh $(BUILD) $(BOARD)

# Every test, in the normal build and under ASan+UBSan, then the system test of
# the x86-64 image in qemu (SYSTEM_TEST= leaves it out); ends with the summary.
SYSTEM_TEST ?= x86-64
test: deps
	$(MAKE) all
	$(MAKE) $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD)
	SYSTEM_TEST='$(SYSTEM_TEST)' ./tests/run-tests.sh $(BUILD) $(SAN_BUILD)

# CPU benchmarks beside ffmpeg in the same run: the program pipeline, then what
# the on-air graphics add per frame; then how soon a show change, a studio
# button and a panel action reach a frame, and what 20 open panels cost; what
# the recording costs and what a power cut loses.
bench: deps
	$(MAKE) all
	./tests/bench/pipeline-cpu.sh $(BUILD)
	$(BUILD)/tests/overlay-cost
	./tests/bench/overlay-latency.sh $(BUILD)
	./tests/bench/button-latency.sh $(BUILD)
	./tests/bench/panel-latency.sh $(BUILD)
	./tests/bench/recording.sh $(BUILD)

# Failover time in a network-namespace lab, shopcast beside the naive approach (root).
bench-failover: deps
	$(MAKE) all
	./tests/bench/failover.sh $(BUILD)

# Every fault in turn (uplinks silent, down, flapping, both down, ingest
# restart, key refused, camera loss, disk full, SIGKILL) against shopcastd
# live in a network-namespace lab: recovery time and frames lost per fault,
# checked against bounds (root).
fault-matrix: deps
	$(MAKE) all
	./tests/bench/fault-matrix.sh $(BUILD)

# Adaptive bitrate in a network-namespace lab: capacity drops, returns and
# steady links, shopcast adapting beside the same pipeline at a fixed bitrate (root).
bench-abr: deps
	$(MAKE) all
	./tests/bench/abr.sh $(BUILD)

# shopcast-flash beside dd and bmaptool writing the same sparse image to a file.
bench-flash: deps
	$(MAKE) all
	./tests/bench/flash.sh $(BUILD)

format:
	clang-format -i $(SOURCES)

check-format:
	clang-format --dry-run --Werror $(SOURCES)

# A long live run in a network lab (root): RSS, descriptors, CPU and drops
# over DURATION seconds (default 3600) with the show changing, panels open and
# uplink faults every 2 minutes.
soak: deps
	$(MAKE) all
	./tests/bench/soak.sh $(BUILD) $(DURATION)

# Memcheck: the unit tests, the RTMP and recorder tests and the fuzz corpus
# replays, then shopcastd itself live under it for VALGRIND_SECONDS (default
# 60) of show actions. The other media and network tests judge real-time
# behaviour that Memcheck's 20-50x slowdown would fail; they run under ASan and
# UBSan in make test, and their code runs in the live shopcastd here.
VALGRIND_SECONDS ?= 60
VALGRIND_TESTS = rtmp rtmp-peer recorder fuzz-config fuzz-show fuzz-rtmp fuzz-state fuzz-bmap
valgrind: deps
	$(MAKE) all
	meson test -C $(BUILD) --setup valgrind --suite unit --print-errorlogs --num-processes 2
	meson test -C $(BUILD) --setup valgrind $(VALGRIND_TESTS) --print-errorlogs --num-processes 2
	./tests/valgrind/daemon.sh $(BUILD) $(VALGRIND_SECONDS)

# Each parser of outside input fuzzed for FUZZ_SECONDS (default 60) from the
# committed corpus; a crash fails and is kept in $(FUZZ_BUILD)/fuzz-artifacts.
fuzz: deps
	$(MAKE) $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) tests/fuzz/fuzz-config tests/fuzz/fuzz-show tests/fuzz/fuzz-rtmp tests/fuzz/fuzz-http \
		tests/fuzz/fuzz-state tests/fuzz/fuzz-bmap
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

# A disk image for a board (x86-64 or rpi4) from Debian 12 packages, with the
# shopcast build in it; cached in $(BUILD)/image (root).
image:
	./tools/install-deps.sh
	./board/common/image/build.sh $(BOARD) $(BUILD)/image

# The x86-64 image booted in qemu with the vivid camera and snd-aloop: live to a
# local ingest, an update into the other slot, a broken one rolled back (root).
# BOARD=rpi4: the Raspberry Pi image on qemu's arm64 machine through U-Boot.
test-system: deps
	$(MAKE) all
	./tests/system/run.sh $(BUILD) $(if $(filter sim,$(BOARD)),x86-64,$(BOARD))

# A signed RAUC bundle of the last `make image` for BOARD.
bundle:
	./board/common/image/bundle.sh $(BOARD) $(BUILD)/image
