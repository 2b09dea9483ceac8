//go:build race

package scenes

// raceEnabled: the race detector makes rendering ten times slower, so the
// tests render fewer frames under it.
const raceEnabled = true
