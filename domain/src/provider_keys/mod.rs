//! Provider keys: the organization's (per project) and each user's own (personal) API keys for
//! AI providers, sealed in the vault, shown masked, never in full except to the owner of a
//! personal key who re-enters their password.
//!
//! Who may do what:
//! - project keys: admins of the organization list, create, edit, test, (de)activate and
//!   delete them; nobody can reveal them;
//! - personal keys: their owner does everything, reveal included; admins see them masked and
//!   may test, deactivate or delete them (to stop a leaked key) but never read or change the
//!   secret;
//! - anyone else (members, other organizations) sees nothing: such keys look absent (404).

pub mod events;
pub mod input;
pub mod secret;
mod sigv4;
mod store;
pub mod verify;

use crate::auth::SessionUser;
use crate::entities::provider_key;
use crate::vault::envelope::SecretContext;

pub use events::history;

/// Records an entry in a key's history (for other modules: the broker, the proxy).
pub use events::record as record_event;
pub use input::{KeyChanges, KeyFilter, KeyScope, NewKey, ScopeFilter};
pub use store::*;

/// The vault purpose for provider key secrets (part of every ciphertext's AAD).
pub const PURPOSE: &str = "provider_key";

/// The AAD context of a key's secret; `record` is `provider_keys:<uid>`.
pub fn secret_context(org_id: i32, record: &str) -> SecretContext<'_> {
    SecretContext {
        purpose: PURPOSE,
        org_id,
        record,
        field: "secret",
    }
}

fn record_name(key: &provider_key::Model) -> String {
    format!("provider_keys:{}", key.uid)
}

fn is_owner(user: &SessionUser, key: &provider_key::Model) -> bool {
    key.owner_user_id == Some(user.id)
}

/// See the module docs: admins see every key of their organization, others their own.
pub fn can_view(user: &SessionUser, key: &provider_key::Model) -> bool {
    key.org_id == user.org_id && (user.role.is_admin() || is_owner(user, key))
}

/// Changing name, description or secret.
pub fn can_edit(user: &SessionUser, key: &provider_key::Model) -> bool {
    key.org_id == user.org_id
        && match key.owner_user_id {
            Some(owner) => owner == user.id,
            None => user.role.is_admin(),
        }
}

/// Testing, activating, deactivating and deleting.
pub fn can_operate(user: &SessionUser, key: &provider_key::Model) -> bool {
    can_view(user, key)
}

/// Only the owner of a personal key may read it back.
pub fn can_reveal(user: &SessionUser, key: &provider_key::Model) -> bool {
    key.org_id == user.org_id && is_owner(user, key)
}
