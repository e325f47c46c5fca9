//! The fake sync server (BookLore and kosync dialects).
