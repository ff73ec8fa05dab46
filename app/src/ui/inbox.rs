//! The inbox: every channel's conversations in one live list, the open
//! conversation with its reply box, and the actions people take (issue 12).
