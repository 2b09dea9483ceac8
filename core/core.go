// Package core holds Sportello's domain types: the municipality, its citizens
// and their records, and the errors every layer shares. It is the vocabulary of
// the app, the API client and the reference server alike, and it imports
// nothing but the standard library, so every other package can depend on it.
package core
