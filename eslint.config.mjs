import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // sdk/ is generated from schema.json (npm run sdks) and never edited by hand.
  { ignores: ["lib/", "dist/", ".cache/", ".e2e/", "node_modules/", "scripts/pulumi-cli/", "sdk/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // ignoreRestSiblings: `const { job: _parsed, ...rest } = outputs` is how a field is left out.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  {
    // Plain Node.js scripts run before anything is compiled.
    files: ["scripts/**/*.js", "tests/**/*.js", ".mocharc.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", __dirname: "readonly", process: "readonly", console: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
