/**
 * The built-in agent console. Agents sign in with a bearer token. With no agents configured,
 * one agent named "Agent" gets a random token printed at start-up.
 */
import { z } from 'zod';
import { isHttpsUrl } from '../avatars';

export const consoleAgentSchema = z.object({
  /** Stable id; defaults to a slug of the name. */
  id: z.string().min(1).optional(),
  name: z.string().min(1),
  /** At least 16 characters: it is the agent's password. */
  token: z.string().min(16, "at least 16 characters (it is the agent's password)"),
  /**
   * Shown beside the agent's messages. https only: Teams loads card images only over https and
   * the web chat's Content-Security-Policy allows only https images, so an http:// picture
   * would just go missing.
   */
  avatarUrl: z.string().refine(isHttpsUrl, 'must be an https:// URL: Teams and the web chat show only https images').optional(),
});

export const consoleDeskSchema = z.object({
  agents: z.array(consoleAgentSchema).default([]),
  /** How long ended chats stay listed under "recent". */
  recentChatsHours: z.number().int().min(1).default(24),
});

export type ConsoleAgentSettings = z.infer<typeof consoleAgentSchema>;
export type ConsoleDeskSettings = z.infer<typeof consoleDeskSchema>;
