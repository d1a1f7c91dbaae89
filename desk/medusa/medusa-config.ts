// Tierline's local Medusa v2 store (docs/store-medusa.md). Everything comes from the
// environment, with Medusa's own variable names; tierline_desk/store/medusa/devserver.py sets
// them for a local run and for the tests. No secret is ever written here.
import { defineConfig } from "@medusajs/framework/utils"

function required(name: string): string {
  const value = process.env[name]
  if (!value) {
    throw new Error(
      `${name} is not set: Tierline's Medusa takes its settings from the environment ` +
        "(see docs/store-medusa.md; `python -m tierline_desk.cli medusa-up` sets them)"
    )
  }
  return value
}

// Browsers never talk to this store directly in Tierline (the desk does, server to server),
// so the CORS lists default to nothing rather than to "*".
const cors = (name: string): string => process.env[name] ?? ""

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: required("DATABASE_URL"),
    http: {
      storeCors: cors("STORE_CORS"),
      adminCors: cors("ADMIN_CORS"),
      authCors: cors("AUTH_CORS"),
      jwtSecret: required("JWT_SECRET"),
      cookieSecret: required("COOKIE_SECRET"),
    },
  },
  // No admin dashboard: nothing to build, and Tierline uses the Admin API only.
  admin: {
    disable: true,
  },
})
