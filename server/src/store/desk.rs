//! The merchant's inbox: conversation lists with filters and cursors,
//! assignment, closing and reopening, and the actions log (issue 12).
