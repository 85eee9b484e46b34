//! What the example apps' `main`s share: serve an app until Ctrl-C, printing each call's outcome and, at the
//! end, the runner's report.

use std::fmt::Debug;
use std::future::Future;

use ari_sdk::app::{App, BoxError, Call};
use ari_sdk::Client;

/// The application's name: `ARI_APP`, or `default`.
pub fn app_name(default: &str) -> String {
    std::env::var("ARI_APP").unwrap_or_else(|_| default.to_owned())
}

/// Serves application `name` on `client` with `handler` until Ctrl-C (then drains the calls); prints each
/// call's outcome (`<channel id>: <outcome>`) and the report.
pub async fn serve_until_ctrl_c<H, Fut, T>(
    client: Client,
    name: String,
    handler: H,
) -> Result<(), BoxError>
where
    H: Fn(Call) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, BoxError>> + Send + 'static,
    T: Debug,
{
    let report = App::new(client, name)
        .serve_until(
            move |call: Call| {
                let id = call.id().to_owned();
                let handled = handler(call);
                async move {
                    let outcome = handled.await?;
                    println!("{id}: {outcome:?}");
                    Ok::<_, BoxError>(())
                }
            },
            tokio::signal::ctrl_c(),
        )
        .await?;
    println!("{report:?}");
    Ok(())
}
