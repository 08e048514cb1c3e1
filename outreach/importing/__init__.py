"""The parts of the CSV importers (outreach.importing.files is the public entry point): reading the file
(csvfile), parsing values (fields), one module per kind of row (clients, visits, progress, with dated for
what visits and progress share), and the bulk database path (store)."""
