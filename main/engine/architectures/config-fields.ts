// zod building blocks shared by the architecture config schemas.
import { z } from 'zod';

export const positiveInt = z.number().int().positive();
export const positiveNumber = z.number().positive();
