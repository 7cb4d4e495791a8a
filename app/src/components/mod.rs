pub mod confirm;
pub mod form;
pub mod keys;
pub mod layout;
pub mod providers;
pub mod routing;
pub mod toast;
pub mod virtual_keys;
