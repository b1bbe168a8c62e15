module github.com/gas-project/gas

go 1.26.8

require (
	github.com/dustin/go-humanize v1.1.0
	golang.org/x/crypto v0.59.0
	golang.org/x/time v0.16.0
)

require golang.org/x/sys v0.50.0 // indirect
