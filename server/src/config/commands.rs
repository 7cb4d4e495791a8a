//! The `keygate` subcommands' arguments (clap): one enum per command group, and the
//! `--org-id`/`--as` pair that commands acting inside an organization share.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum JwtCommand {
    /// Mint an HS256 token for an organization (printed once).
    Create {
        #[arg(long)]
        org_id: i32,
        /// The `org_name` claim (default: the organization's name).
        #[arg(long)]
        org_name: Option<String>,
        /// Days until it expires.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// The project whose provider keys serve the application's users (id; default: the
        /// organization's oldest active project).
        #[arg(long)]
        project_id: Option<i32>,
        /// A label for the token list.
        #[arg(long, default_value = "")]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List an organization's tokens (ids and lifetimes; tokens themselves are not stored).
    List {
        #[arg(long)]
        org_id: i32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: the proxy refuses it from now on.
    Revoke {
        id: i32,
        #[arg(long)]
        org_id: i32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Whether unknown X-User-IDs become new users of the organization (`on`/`off`).
    AutoCreateUsers {
        #[arg(long)]
        org_id: i32,
        #[arg(value_parser = ["on", "off"])]
        setting: String,
    },
}

/// A persona's id, as `keygate persona list` shows it.
#[derive(Debug, Clone, Args)]
pub struct PersonaRef {
    /// The persona's id.
    pub id: i32,
    #[command(flatten)]
    pub acting: ActingAs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonaCommand {
    /// Create a persona. Use `--content -` to read the system prompt from stdin.
    Create {
        #[arg(long)]
        name: String,
        /// The system prompt (`-`: read it from stdin).
        #[arg(long)]
        content: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Restrict the persona to this user (id); organization-wide without it.
        #[arg(long)]
        user_id: Option<i32>,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the organization's personas.
    List {
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one persona with its content.
    Get(PersonaRef),
    /// Change a persona's name, description, content or user.
    Update {
        id: i32,
        #[arg(long)]
        name: Option<String>,
        /// The new system prompt (`-`: read it from stdin).
        #[arg(long)]
        content: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Restrict the persona to this user (id).
        #[arg(long, conflicts_with = "org_wide")]
        user_id: Option<i32>,
        /// Make the persona organization-wide.
        #[arg(long)]
        org_wide: bool,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let requests use the persona again.
    Activate(PersonaRef),
    /// Refuse requests that name the persona (403), keeping it and its analytics.
    Deactivate(PersonaRef),
    /// Delete the persona (its usage stays in the analytics rollups).
    Delete(PersonaRef),
    /// Requests, success rate, tokens, cost, top models and users, last 7 days, ratings.
    Analytics(PersonaRef),
}

#[derive(Debug, Subcommand)]
pub enum LimitCommand {
    /// Set (or replace) the budget and rate limits of a Keygate key, user, project or
    /// provider key.
    Set {
        /// key | user | project | provider_key
        scope: String,
        /// The Keygate key's, user's, project's or provider key's id.
        id: i32,
        /// daily | weekly | monthly | never
        #[arg(long, default_value = "monthly")]
        period: String,
        /// Budget in dollars, e.g. 25.00.
        #[arg(long)]
        usd: Option<String>,
        /// Budget in tokens (input + output).
        #[arg(long)]
        tokens: Option<i64>,
        /// Alert only instead of refusing requests past the budget.
        #[arg(long)]
        soft: bool,
        /// Requests per minute.
        #[arg(long)]
        rpm: Option<u32>,
        /// Tokens per minute.
        #[arg(long)]
        tpm: Option<u32>,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List every limit with what is spent in the current period.
    List {
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the limits of one scope.
    Remove {
        /// key | user | project | provider_key
        scope: String,
        id: i32,
        #[command(flatten)]
        acting: ActingAs,
    },
}

/// Which organization a command acts in, and as whom.
#[derive(Debug, Clone, Args)]
pub struct ActingAs {
    /// The organization (needed when the database holds more than one).
    #[arg(long)]
    pub org_id: Option<i32>,
    /// The admin the command acts as (default: the organization's first owner).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_email: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization and its owner. The owner's password is read from stdin when it
    /// is not a terminal, otherwise prompted for (twice).
    Create {
        /// Organization name.
        #[arg(long)]
        name: String,
        /// The owner's e-mail address.
        #[arg(long)]
        owner_email: String,
        /// The owner's display name (defaults to the part of the e-mail before '@').
        #[arg(long)]
        owner_name: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List every organization in the database.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show or change the networks the organization's admin console may be used from. The
    /// way back in for admins locked out by an address change: `--clear`.
    AdminIps {
        /// Organization id.
        #[arg(long)]
        org: i32,
        /// Replace the list: IP addresses / CIDR blocks, comma-separated.
        #[arg(long, value_delimiter = ',', conflicts_with = "clear")]
        set: Option<Vec<String>>,
        /// Allow every address again.
        #[arg(long)]
        clear: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project.
    Create {
        /// Project name (unique in the organization).
        #[arg(long)]
        name: String,
        /// What the project is for.
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the organization's projects, archived ones included.
    List {
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Store a provider key. The secret is read from stdin (one line, trimmed) or prompted for
    /// without echo on a terminal; it is never taken from the command line and never printed.
    #[command(long_about = "Store a provider key.\n\n\
                      The secret is read from stdin (one line, trimmed), or prompted for without \
                      echo on a terminal. It is never taken from the command line and never \
                      printed: the output shows the masked key only.\n\n\
                      For AWS, stdin holds two lines: the access key id, then the secret access \
                      key.\n\n\
                      PROJECT is a project id or exact name, for a project key (admins). \
                      Use '-' for a personal key instead: it belongs to --user EMAIL, or to the \
                      acting admin without --user. --user requires '-'.\n\n\
                      Example: printf '%s\\n' \"$OPENAI_KEY\" | keygate key create Backend openai --name prod")]
    Create {
        /// Project id or exact name; `-` for a personal key.
        project: String,
        /// openai, anthropic, google, groq, xai, openrouter, aws or custom.
        provider: String,
        /// A name for the key.
        #[arg(long)]
        name: String,
        /// What the key is for.
        #[arg(long, default_value = "")]
        description: String,
        /// Make it this user's personal key (PROJECT must be `-`).
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// AWS region (default us-east-1).
        #[arg(long)]
        region: Option<String>,
        /// Base URL (required for `custom`, optional otherwise).
        #[arg(long)]
        base_url: Option<String>,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the organization's keys (masked), personal keys included.
    List {
        /// Only keys of this project (id or exact name).
        #[arg(long)]
        project: Option<String>,
        /// Only keys of this provider.
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deactivate a key: the proxy and the broker stop using it; it can be re-activated in
    /// the web UI.
    Deactivate {
        /// The key's id (see `keygate key list`).
        id: i32,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from stdin when it is not a terminal, otherwise
    /// prompted for (twice).
    Create {
        /// The user's e-mail address (it signs them in).
        #[arg(long)]
        email: String,
        /// The user's display name.
        #[arg(long)]
        name: String,
        /// Role in the organization (only owners may create owners).
        #[arg(long, default_value = "member", value_parser = ["member", "admin", "owner"])]
        role: String,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the organization's users, disabled ones included.
    List {
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user (Keygate never erases users: their history stays). They can no longer
    /// sign in and their sessions end.
    Delete {
        /// The user's id or e-mail address.
        user: String,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Turn off a user's two-factor authentication (they lost their device and their recovery
    /// codes). They sign in with their password again and can set it up anew; when their
    /// organization requires it, they must.
    ResetMfa {
        /// The user's id or e-mail address.
        user: String,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once and only its hash is stored. With --project (and
    /// no --kind) it is a Keygate key (`sk-proxy-…`) for the `/v1` proxy.
    Create {
        /// A name that says which program uses it.
        #[arg(long)]
        name: String,
        /// `proxy` (a Keygate key for `/v1`; needs --project), `admin` (REST API) or
        /// `service` (credential broker). Default: `proxy` with --project, else `admin`.
        #[arg(long, value_parser = ["proxy", "admin", "service"])]
        kind: Option<String>,
        /// The project (id or exact name): a proxy key's project, a service token's fallback.
        #[arg(long)]
        project: Option<String>,
        /// Expiry such as 1h, 24h, 30d, 365d, or never (default).
        #[arg(long)]
        expires_in: Option<String>,
        /// Admin tokens: `read_only`, `keys` (manage provider and Keygate keys) or `admin`
        /// (default).
        #[arg(long, value_parser = ["read_only", "keys", "admin"])]
        scope: Option<String>,
        /// Proxy keys: bind to this user (e-mail); their personal keys are used first.
        #[arg(long)]
        user: Option<String>,
        /// Proxy keys: allowed model patterns, comma-separated (default: every model).
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        /// Proxy keys: IP addresses / CIDR blocks the key may be used from, comma-separated
        /// (default: anywhere).
        #[arg(long, value_delimiter = ',')]
        allowed_ips: Vec<String>,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tokens: Keygate keys (of one project with --project) and admin/service tokens.
    List {
        /// Only this project's Keygate keys (id or exact name).
        #[arg(long)]
        project: Option<String>,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id. Takes effect on every server within a second.
    Revoke {
        id: i32,
        /// `proxy` (default), `admin` or `service`.
        #[arg(long, default_value = "proxy", value_parser = ["proxy", "admin", "service"])]
        kind: String,
        #[command(flatten)]
        acting: ActingAs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Add a master-key version and re-wrap every secret's data key under it, in batches,
    /// while servers keep running. Safe to interrupt; running it again resumes.
    Rotate {
        /// Rows re-wrapped per batch.
        #[arg(long, default_value_t = 100)]
        batch_size: u64,
        /// Stop after this many rows (the rest is done by the next run).
        #[arg(long)]
        max_rows: Option<u64>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show master-key versions and how many secrets each one wraps.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an organization and its owner. The password is read from stdin when it is not a
    /// terminal, otherwise prompted for (twice).
    Create {
        /// Organization name.
        #[arg(long)]
        org: String,
        /// The owner's e-mail address.
        #[arg(long)]
        email: String,
        /// The owner's display name (defaults to the part of the e-mail before '@').
        #[arg(long)]
        name: Option<String>,
    },
}

/// `keygate backup`: a consistent snapshot of the whole database (not the master key).
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The file to write (mode 0600; written to a temporary file, then renamed).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keygate restore`: replace the database's data with a backup's. Stop the server first.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup file (`keygate backup --out`).
    #[arg(long)]
    pub from: std::path::PathBuf,
    /// Replace the data of a database that already holds organizations or users.
    #[arg(long)]
    pub force: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
