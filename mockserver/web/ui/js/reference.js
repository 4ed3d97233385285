// The API reference tab: Swagger UI (vendored, see vendor/swagger-ui/VERSION.md) rendering the
// spec in force. /openapi.json lists this mock first among the servers, so "Try it out" calls
// this mock; a demo key is sent unless the reader authorizes with one of their own.
/* global SwaggerUIBundle */
"use strict";

const DEMO_KEY = "sk-dashboard-demo";

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: false,
  tryItOutEnabled: false,
  // The mock is the only server a reader here wants to call.
  validatorUrl: null,
  requestInterceptor: (request) => {
    const headers = request.headers || {};
    const named = Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
    if (!named) headers.Authorization = `Bearer ${DEMO_KEY}`;
    request.headers = headers;
    return request;
  },
});
