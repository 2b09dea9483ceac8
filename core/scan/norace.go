//go:build !race

package scan

// budgetScale stretches the budgets of time (see race.go).
const budgetScale = 1
