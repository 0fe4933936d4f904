// missing_import: imports a function no host provides; wasi-nn-run must refuse to run it
// (exit 66) instead of trapping later.
__attribute__((import_module("env"), import_name("not_provided_by_any_host"))) int not_provided(int);

int main(void) { return not_provided(1); }
