package samltest

//go:generate go run ./gen -out ../../testdata
