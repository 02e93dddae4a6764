/**
 * Teams (Bot Framework) settings, named as Microsoft names them so values copied from the Azure
 * portal work as they are. With no `MicrosoftAppId` the bot runs unauthenticated, and then only
 * on loopback (enforced by the composition root).
 */
import { z } from 'zod';

export const teamsSettingsSchema = z
  .object({
    MicrosoftAppId: z.string().default(''),
    MicrosoftAppPassword: z.string().default(''),
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    MicrosoftAppTenantId: z.string().default(''),
    /**
     * Overrides of Bot Framework's well-known endpoints. Production leaves them unset; tests and
     * sovereign clouds point them elsewhere. Passed straight to ConfigurationBotFrameworkAuthentication.
     */
    ToBotFromChannelOpenIdMetadataUrl: z.string().url().optional(),
    ToBotFromChannelTokenIssuer: z.string().optional(),
    ToChannelFromBotLoginUrl: z.string().url().optional(),
    ToChannelFromBotOAuthScope: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.MicrosoftAppType !== 'MultiTenant' && v.MicrosoftAppId && !v.MicrosoftAppTenantId) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['MicrosoftAppTenantId'],
        message: `required when MicrosoftAppType is ${v.MicrosoftAppType}`,
      });
    }
    if (v.MicrosoftAppId && v.MicrosoftAppType !== 'UserAssignedMSI' && !v.MicrosoftAppPassword) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['MicrosoftAppPassword'],
        message: 'required when MicrosoftAppId is set (the client secret of the bot registration)',
      });
    }
  });

export type TeamsSettings = z.infer<typeof teamsSettingsSchema>;
