pub mod confirm;
pub mod form;
pub mod layout;
pub mod toast;
