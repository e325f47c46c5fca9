//! Integration tests of the harness as a whole: the `verify` commands from
//! the command line, the coverage gate, the living docs (rendered and in a
//! browser), the `hash` command and feature, and the detection-coverage gate
//! over every rule. One test binary for the area.

mod annotations;
mod ci_recipes;
mod cli_verify;
mod detection_coverage;
mod docs_browser;
mod docs_render;
mod gate;
mod gate_checks;
mod hash_cli;
mod hash_features;
mod ignored;
mod install;
mod layering;
mod misspelt;
