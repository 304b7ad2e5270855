/** Runs the Tokens contract against the HS256 JWT adapter, each authority with a key of its own. */
import { randomBytes } from 'node:crypto';
import { createTokenAuthority } from '../../src/adapters/auth/jwt.js';
import { describeTokensContract } from './tokens.contract.js';

describeTokensContract('jwt', async ({ now }) => createTokenAuthority(randomBytes(32), { now }));
