import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["lib/", ".cache/", ".e2e/", "node_modules/", "scripts/pulumi-cli/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // Plain Node.js scripts run before anything is compiled.
    files: ["scripts/**/*.js", "tests/**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", __dirname: "readonly", process: "readonly", console: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The serialized provider shim must call require() at run time: see provider/shim.ts.
    files: ["provider/shim.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
