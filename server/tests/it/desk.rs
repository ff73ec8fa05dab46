//! The inbox: listing with filters and cursors, assignment, closing, reopening, live updates.
