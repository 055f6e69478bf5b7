//! (in progress)
use super::{Context, Finding};

pub fn check(_ctx: &Context, _out: &mut Vec<Finding>) {}
