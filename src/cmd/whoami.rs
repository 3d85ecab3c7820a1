//! `cc2cc whoami`: the resolved identity, the bridge directory and who is online.

use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

pub fn run(ctx: &Context) -> Result<(), CliError> {
    let me = ctx.me()?;
    let info = ctx.bridge.agent(&me);
    let online: Vec<String> = ctx
        .bridge
        .online_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let since = info
        .heartbeat
        .as_ref()
        .filter(|_| info.online)
        .and_then(|h| h.online_since.clone());
    let mut out = Output::new(ctx.json);
    if ctx.json {
        out.json_line(&serde_json::json!({
            "name": me.as_str(),
            "online": info.online,
            "online_since": since,
            "bridge_dir": ctx.bridge.root(),
            "online_agents": online,
        }))?;
    } else {
        let state = if info.online { "online" } else { "offline" };
        out.line(&format!("name:    {me} ({state})"))?;
        out.line(&format!("bridge:  {}", ctx.bridge.root().display()))?;
        let list = if online.is_empty() {
            "nobody".to_owned()
        } else {
            online.join(", ")
        };
        out.line(&format!("online:  {list}"))?;
    }
    Ok(out.flush()?)
}
