# Sportello. `make run` starts the app on the demo municipality; `make test`
# runs every check CI runs. Both install what they need when it is missing.

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FYNE_CLI    := fyne.io/tools/cmd/fyne@v1.7.4
BIN         := bin

# C libraries a Fyne desktop build links (X11, GL, Wayland) and the compiler.
DESKTOP_PKGS := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
                libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev
# Tests: the race detector needs cgo, so a C compiler; the keyring tests a
# Secret Service: gnome-keyring on a private session bus (dbus-run-session is
# in dbus-daemon), see scripts/with-secret-service.
TEST_PKGS    := gcc libc6-dev gnome-keyring dbus-daemon

# Fuzz targets (package:function) of everything that parses what a stranger
# hands over: glyphs, trust lists, scanned files. `make test` runs each for
# FUZZ_TIME; `make fuzz` for longer.
FUZZ_TARGETS := core/glyph:FuzzDecode core/glyph:FuzzDecodeCOSE core/glyph:FuzzClaims \
                core/verify:FuzzVerify core/certificates:FuzzLists core/scan:FuzzBytes \
                core/pagopa:FuzzParseQR
FUZZ_TIME    ?= 4s

.PHONY: all deps test-deps build run server test vet lint check-core fuzz fuzz-short bench bench-scan screenshots package clean

all: build

deps:
	@scripts/apt-ensure $(DESKTOP_PKGS)

test-deps:
	@scripts/apt-ensure $(TEST_PKGS)

build: deps
	$(GO) build -o $(BIN)/sportello .
	$(GO) build -o $(BIN)/sportello-server ./cmd/sportello-server
	$(GO) build -o $(BIN)/sportello-verify ./cmd/sportello-verify

run: build
	$(BIN)/sportello

# The reference server alone, with the demo municipality, for a real client.
server:
	$(GO) run ./cmd/sportello-server serve --addr 127.0.0.1:8080 --db sportello-server.db --demo

test: test-deps vet lint check-core fuzz-short
	SPORTELLO_REQUIRE_SECRET_SERVICE=1 scripts/with-secret-service $(GO) test -race -tags ci -count=1 ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet -tags ci ./...

lint:
	$(GO) run $(STATICCHECK) -tags ci ./...

# The core stays free of Fyne and cross-compiles without cgo for phones.
check-core:
	@if $(GO) list -deps ./core/... | grep -q '^fyne.io/'; then echo "core imports Fyne"; exit 1; fi
	CGO_ENABLED=0 GOOS=android GOARCH=arm64 $(GO) build ./core/...
	CGO_ENABLED=0 GOOS=ios GOARCH=arm64 $(GO) build ./core/...
	@echo "core: no Fyne, builds for android/arm64 and ios/arm64 without cgo"

fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t for $(FUZZ_TIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZ_TIME) ./$${t%%:*} >/tmp/sportello-fuzz.log 2>&1 \
	    || { cat /tmp/sportello-fuzz.log; exit 1; }; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZ_TIME=2m

# The Go benchmarks, then the dossier under a fixed request rate (open loop)
# next to a bare net/http handler serving the same bytes (bench/dossierload).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -tags ci ./...
	$(GO) run ./bench/dossierload

# Sportello's scan pipeline and zxing-cpp (the npm package zxing-wasm, run
# by Node, offline) on the very same rendered camera frames (bench/scan).
bench-scan:
	@command -v node >/dev/null && command -v npm >/dev/null || scripts/apt-ensure nodejs npm
	@[ -d bench/scan/zxing/node_modules/zxing-wasm ] || npm ci --prefix bench/scan/zxing --no-audit --no-fund
	$(GO) run ./bench/scan

# Every screen as PNG, desktop and phone sizes, through Fyne's test driver.
screenshots:
	SPORTELLO_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -tags ci -count=1 ./app

package: deps
	$(GO) run $(FYNE_CLI) package -os linux --release

clean:
	rm -rf $(BIN) Sportello.tar.xz
