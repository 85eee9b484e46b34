//! Originates a call with optional parameters set, reads the channel back through its handle,
//! sets and reads a channel variable, and hangs it up.
//!
//! ```text
//! ARI_URL=http://127.0.0.1:8088/ari ARI_USER=asterisk ARI_PASSWORD=secret \
//!     cargo run -p ari-sdk --example originate -- [endpoint] [app]
//! ```
//!
//! `endpoint` defaults to `Local/wait@default` (an extension that answers and waits), `app`
//! to `originate-example`: the originated channel enters that Stasis application once it
//! answers (the application need not be connected for the call to be placed).

use ari_sdk::enums::HangupReason;
use ari_sdk::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("ARI_URL").unwrap_or_else(|_| "http://127.0.0.1:8088/ari".into());
    let user = std::env::var("ARI_USER").unwrap_or_else(|_| "asterisk".into());
    let password = std::env::var("ARI_PASSWORD").unwrap_or_default();
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().unwrap_or_else(|| "Local/wait@default".into());
    let app = args.next().unwrap_or_else(|| "originate-example".into());

    let client = Client::builder(url).basic_auth(user, password).build()?;

    // Required parameters are positional; every optional one is a chained setter.
    let id = ari_sdk::events::unique_id();
    let channel = client
        .channels()
        .originate(endpoint)
        .app(app)
        .app_args("hello,world")
        .caller_id("Example <100>")
        .timeout(30)
        .channel_id(id.as_str())
        .variables([("CALLERID(name)", "Example"), ("ORIGINATED_BY", "ari-sdk")])
        .await?;
    println!(
        "originated {} ({}), state {}",
        channel.id, channel.name, channel.state
    );

    // A handle addresses one channel by id; making it sends nothing.
    let handle = client.channel(&channel.id);
    let current = handle.get().await?;
    println!(
        "caller id: {} <{}>",
        current.caller.name, current.caller.number
    );

    handle.set_channel_var("EXAMPLE").value("42").await?;
    let variable = handle.get_channel_var("EXAMPLE").await?;
    println!("EXAMPLE = {}", variable.value);

    handle.hangup().reason(HangupReason::Normal).await?;
    println!("hung up {}", handle.id());
    Ok(())
}
