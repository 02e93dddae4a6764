/**
 * The built-in agent console. Agents sign in with a bearer token. With no agents configured,
 * one agent named "Agent" gets a random token printed at start-up.
 */
import { z } from 'zod';

export const consoleAgentSchema = z.object({
  /** Stable id; defaults to a slug of the name. */
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  /** At least 16 characters: it is the agent's password. */
  token: z.string().min(16, 'at least 16 characters (it is the agent\'s password)'),
  avatarUrl: z.string().url().optional(),
});

export const consoleDeskSchema = z.object({
  agents: z.array(consoleAgentSchema).default([]),
  /** How long ended chats stay listed under "recent". */
  recentChatsHours: z.number().int().min(1).default(24),
});

export type ConsoleAgentSettings = z.infer<typeof consoleAgentSchema>;
export type ConsoleDeskSettings = z.infer<typeof consoleDeskSchema>;
