"""One module per homework: its points, a partly wrong submission, and the code snippets that
only its solutions, hidden tests and visible tests contain."""
