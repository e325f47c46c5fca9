//! The reference client model: the BookLore plugin's progress-sync rules as a
//! deterministic, sans-IO state machine (`Client::handle(Event) -> Vec<Effect>`).
//!
//! It owns no socket and no clock; time arrives as [`Event::TimePassed`]. It is
//! the oracle every client check compares against.

mod types;

pub use types::*;
