//! The inbox: listing, assigning, closing and reopening conversations.
