package api

// CountPositions is countPositions, for the tests of package api_test.
var CountPositions = countPositions
