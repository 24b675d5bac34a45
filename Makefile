# Two commands on a fresh Debian, Ubuntu or Raspberry Pi OS machine:
#   make demo   runs the main job on the bundled default
#   make test   runs the tests
# Both install what they need: Debian packages through apt-get (sudo when not
# root, only the ones missing) and a virtual environment in .venv with the
# locked versions of requirements/ (make lock refreshes them). The demo needs
# only the engine's; the tests add JACK, Pure Data, Chromium and more.
# tests/test_debian_packages.py fails when the code, the tests or the
# benchmarks use a Debian package that these lists do not install.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
# What the engine needs (make demo): libportaudio2, the audio stream;
# libsndfile1, audio files.
RUNTIME_APT := libportaudio2 libsndfile1
# python-rtmidi has no wheel for Python 3.13 yet (1.5.8): pip builds it, with
# a C++ compiler, pkg-config, ALSA's headers and Python's.
PY313_BUILD_APT := $(shell $(PYTHON) -c 'import sys; print("g++ pkg-config libasound2-dev python3-dev" if sys.version_info >= (3, 13) else "")' 2>/dev/null)
# What the tests add (make test): jackd2, jack-tools: a private JACK dummy
# server for tests without a sound card. liblo-tools: oscsend/oscdump as real
# OSC clients. puredata-core: our Pd patch headless. hydrogen-drumkits: real
# labelled drum sounds for evaluation; hydrogen-data: two more of the kits the
# tests name (GMRockKit, TR808EmulationKit, tests/drumkits.py), without which
# three thresholds fail. chromium: the map view's tests run in Debian's
# headless browser. lua5.1: luac checks the TouchOSC layout's Lua.
# The development corpus (tests/corpus.py): fluidsynth renders the GM drum kits
# of timgm6mb-soundfont, csound-soundfont (sf_GMbank) and opl3-soundfont;
# timgm6mb-soundfont goes with fluidsynth in one apt-get: it satisfies
# libfluidsynth3's "any sf3-soundfont-gm", so apt picks no other soundfont.
# espeak-ng speaks the vocal percussion proxy.
TEST_APT := jackd2 jack-tools liblo-tools puredata-core hydrogen-drumkits hydrogen-data chromium lua5.1 \
	fluidsynth timgm6mb-soundfont csound-soundfont opl3-soundfont espeak-ng

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# $(call apt_install,PACKAGES): apt-get install those not installed yet.
define apt_install
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ "$(2)" = venv ] && ! $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
		echo "make: installing Debian packages:$$missing"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

.PHONY: demo test deps test-deps bench lock clean clean-cache

deps: $(VENV)/.installed
test-deps: $(VENV)/.installed-test

$(VENV)/.apt-runtime: Makefile
	$(call apt_install,$(RUNTIME_APT) $(PY313_BUILD_APT),venv)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "livemappr needs Python 3.11 or newer"'
	@mkdir -p $(VENV) && touch $@

$(VENV)/.apt-test: $(VENV)/.apt-runtime
	$(call apt_install,$(TEST_APT))
	@touch $@

# The locked versions (requirements/*.txt, every file hashed), then livemappr
# itself without resolving anything again.
define pip_install_locked
	$(VPY) -m pip install -q --require-hashes -r $(1)
	$(VPY) -m pip install -q --no-deps -e .
endef

$(VENV)/.installed: $(VENV)/.apt-runtime pyproject.toml requirements/runtime.txt
	@[ -x $(VPY) ] || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(call pip_install_locked,requirements/runtime.txt)
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(VENV)/.apt-test requirements/test.txt
	$(call pip_install_locked,requirements/test.txt)
	@touch $@

test: test-deps
	$(VPY) -m pytest -q

# Compiling the kernels is an install step: once a version of the source
# (minutes on a Raspberry Pi), so the demo and the first `live` start in seconds.
$(VENV)/.warm: $(VENV)/.installed $(shell find livemappr -name '*.py')
	$(VENV)/bin/livemappr warmup
	@touch $@

demo: deps $(VENV)/.warm
	$(VENV)/bin/livemappr demo

# Benchmark peers: cyclictest (rt-tests); a C JACK client built with gcc
# against libjack-jackd2-dev (benchmarks/peers/).
BENCH_APT_PACKAGES := rt-tests gcc libc6-dev libjack-jackd2-dev

bench: test-deps
	$(call apt_install,$(BENCH_APT_PACKAGES))
	$(call pip_install_locked,requirements/bench.txt)
	for b in benchmarks/bench_*.py; do $(VPY) $$b --json || exit 1; done

# Refresh the locked versions from pyproject.toml's ranges (see
# requirements/README.md): uv's universal resolver, one file for every
# platform and Python >= 3.11, read by plain pip. runtime.txt first; the
# others keep its versions.
LOCK_VENV := .venv-lock
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile pyproject.toml --universal \
	--python-version 3.11 --fork-strategy fewest --generate-hashes \
	--custom-compile-command 'make lock' --quiet

lock:
	@[ -x $(LOCK_VENV)/bin/uv ] || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install -q uv; }
	$(UV_COMPILE) --upgrade -o requirements/runtime.txt
	$(UV_COMPILE) --upgrade --extra test -c requirements/runtime.txt -o requirements/test.txt
	$(UV_COMPILE) --upgrade --extra test --extra bench -c requirements/test.txt -o requirements/bench.txt

# numba's compiled kernels: one cache a version of the source (livemappr's
# __init__ keys it so; the tests keep theirs in .venv). Old versions' caches
# are only disk space; this drops them all.
clean-cache:
	find livemappr -name '*.nbi' -delete -o -name '*.nbc' -delete
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/livemappr/numba" $(VENV)/numba-cache

clean: clean-cache
	rm -rf $(VENV) $(LOCK_VENV) out build *.egg-info
