# OnAir — see README.md. `make run` and `make test` work on a fresh Debian 12
# machine: they install what is missing first.

GO      ?= go
BIN     := bin/onair
PKGS    := ./...
# Short fuzz runs per target in `make test`; longer with FUZZTIME=1m.
FUZZTIME ?= 4s

.PHONY: all deps deps-test deps-bench build run test fuzz bench lint clean

all: build

deps:
	@.ci/deps

deps-test:
	@.ci/deps --test
	@.ci/webpeers

deps-bench:
	@.ci/deps --bench
	@.ci/webpeers

build: deps
	@mkdir -p bin
	$(GO) build -o $(BIN) .

run: deps-test build
	@.ci/demo $(BIN)

# Each step says when it starts (UTC), so that a slow CI run shows where
# its time went. internal/testrun prints what go test prints and runs a
# failed real-time test once more, alone (it says which, as FLAKY); a race,
# a panic, a timeout or a build failure fails at once.
test: deps-test
	@echo "test: vet at $$(date -u +%T)"
	$(GO) vet $(PKGS)
	@[ -n "$$RTMFP_PEER_DIR" ] || echo "test: the RTMFP interop tests against the reference (tcserver, tcpublish, tcconn) will not run: RTMFP_PEER_DIR is not set (.ci/run builds the peer from ../shared/peers and sets it)"
	@echo "test: tests at $$(date -u +%T)"
	$(GO) run ./internal/testrun -go $(GO) -max 40 -flags "-count=1 -timeout 25m" $(PKGS)
	@echo "test: tests with the race detector at $$(date -u +%T)"
	$(GO) run ./internal/testrun -go $(GO) -max 40 -flags "-count=1 -race -timeout 20m" $(PKGS)
	@echo "test: fuzzing at $$(date -u +%T)"
	@$(MAKE) --no-print-directory fuzz
	@echo "test: passed at $$(date -u +%T)"

# Every Fuzz target of our own parsers, briefly, on top of the committed corpus.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    log=$$(mktemp); \
	    if ! $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x $$pkg >$$log 2>&1; then \
	      cat $$log; \
	      echo "fuzz: $$f failed; running it again (a crasher it found is now in testdata and fails again)"; \
	      $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x $$pkg || { rm -f $$log; exit 1; }; \
	    fi; rm -f $$log; \
	  done; \
	done; echo "fuzz: all targets passed"

bench: deps-bench build
	$(GO) run ./internal/bench -onair $(BIN)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin
