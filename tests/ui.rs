//! Compile-fail tests of the macros: one mistake per file under `tests/ui/<macro>/`, with the
//! expected message in the `.stderr` beside it, and `tests/ui/pass/` for what must compile.
//! Refresh the expectations with `TRYBUILD=overwrite cargo test --test ui` and read the diff.
//! The expectations are those of the default features (the files use the async API).

#[cfg(feature = "async")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/cached_property/*.rs");
    t.compile_fail("tests/ui/ptr_cached/*.rs");
}
