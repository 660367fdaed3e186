// SPDX-License-Identifier: MIT
#pragma once
// The review page that mixroomd serves itself, on the same origin as its WebSocket: static files
// from server/web compiled in as Qt resources (nothing fetched at run time). "/" and "/r" (the
// share link's path; the token travels in the URL fragment, which browsers never send) answer
// index.html; "/web/<file>" the page's modules, worker, worklet and style. Every answer carries
// the security headers (HttpReply.h) and an ETag; the page revalidates (Cache-Control: no-cache)
// so a new server's page is picked up at once.
// Thread: control thread.
namespace mixroom::server {

class HttpFront;

// Registers the page's routes; returns how many files it serves.
int addWebPage(HttpFront& http);

} // namespace mixroom::server
