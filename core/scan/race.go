//go:build race

package scan

// The race detector slows the code some ten times: budgets of time
// stretch as much, so that a race build reads what a normal one does.
const budgetScale = 10
