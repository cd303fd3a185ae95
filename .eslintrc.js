module.exports = {
  root: true,
  extends: [
    'eslint:recommended',
    'plugin:@typescript-eslint/eslint-recommended',
    'plugin:@typescript-eslint/recommended',
    'plugin:prettier/recommended'
  ],
  parser: '@typescript-eslint/parser',
  parserOptions: {
    // Everything that ships or tests: the extension and its jest tests, the
    // UI tests and their setup, the JS benchmarks.
    project: [
      'tsconfig.test.json',
      'ui-tests/tsconfig.json',
      'examples/plugins/visionlens-overlay-example/tsconfig.json'
    ],
    tsconfigRootDir: __dirname,
    sourceType: 'module'
  },
  plugins: ['@typescript-eslint'],
  ignorePatterns: [
    'node_modules',
    'dist',
    'coverage',
    'lib',
    '**/*.d.ts',
    'ui-tests/test-results',
    'ui-tests/playwright-report',
    'visionlens_jlab',
    'examples/plugins/*/*/labextension',
    'examples/plugins/*/style/index.js',
    'build',
    '.venv'
  ],
  overrides: [
    {
      // Node scripts and tool configuration (CommonJS).
      files: ['*.js'],
      env: { node: true },
      parserOptions: { project: null, sourceType: 'script' },
      rules: {
        '@typescript-eslint/no-require-imports': 'off',
        '@typescript-eslint/no-var-requires': 'off'
      }
    },
    {
      // The UI tests and the grid benchmark drive a browser: its globals too.
      files: ['ui-tests/**', 'benchmarks/*.js'],
      env: { node: true, browser: true }
    }
  ],
  rules: {
    '@typescript-eslint/naming-convention': [
      'error',
      {
        selector: 'interface',
        format: ['PascalCase'],
        custom: { regex: '^I[A-Z]', match: true }
      }
    ],
    '@typescript-eslint/no-unused-vars': [
      'error',
      { args: 'none', ignoreRestSiblings: true }
    ],
    '@typescript-eslint/no-explicit-any': 'off',
    '@typescript-eslint/no-namespace': 'off',
    '@typescript-eslint/no-use-before-define': 'off',
    quotes: [
      'error',
      'single',
      { avoidEscape: true, allowTemplateLiterals: true }
    ],
    curly: ['error', 'all'],
    eqeqeq: 'error',
    'prefer-arrow-callback': 'error',
    // Dataset content is untrusted: it is rendered with textContent only.
    'no-restricted-properties': [
      'error',
      {
        property: 'innerHTML',
        message: 'Use textContent (dataset text is untrusted).'
      },
      {
        property: 'outerHTML',
        message: 'Use textContent (dataset text is untrusted).'
      }
    ],
    'no-restricted-syntax': [
      'error',
      {
        selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
        message: 'Use DOM nodes with textContent (dataset text is untrusted).'
      },
      {
        selector: "CallExpression[callee.property.name='createObjectURL']",
        message:
          'Thumbnails are plain HTTP URLs; blob URLs leak memory in a virtualized grid.'
      }
    ]
  }
};
