/**
 * Teams (Bot Framework) settings, named as Microsoft names them so values copied from the Azure
 * portal work as they are. With no `MicrosoftAppId` the bot runs unauthenticated, and then only
 * on loopback (enforced by the composition root).
 */
import { z } from 'zod';
import { hostPatternSchema } from '../http/outbound-guard';

/**
 * Where Teams keeps the files users share with a bot: SharePoint/OneDrive (a shared file's
 * `downloadUrl`) in the public and sovereign clouds, and the Bot Connector (pasted images) of
 * each cloud. The bridge downloads from nowhere else (bots/http/outbound-guard.ts).
 */
export const TEAMS_DEFAULT_FILE_HOSTS = [
  '*.sharepoint.com',
  '*.sharepoint.us',
  '*.sharepoint-mil.us',
  '*.sharepoint.de',
  '*.sharepoint.cn',
  'smba.trafficmanager.net',
  '*.botframework.com',
  '*.botframework.azure.us',
  '*.teams.microsoft.com',
  '*.teams.microsoft.us',
];

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
    /** Hosts users' files and pasted images are downloaded from (`*.` for subdomains). */
    fileHosts: z.array(hostPatternSchema).default(TEAMS_DEFAULT_FILE_HOSTS),
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
